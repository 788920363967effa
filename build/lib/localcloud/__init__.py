"""Local cloud tooling: the embedded emulator, target selection and the deploy drivers.

Not named ``localstack`` on purpose: that would shadow the real ``localstack`` package.
"""
