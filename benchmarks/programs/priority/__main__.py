"""Two deployments of the same worker with the same total concurrency (6): two priority levels
(high 4, low 2) and, as the baseline, a single queue (6)."""

import pulumi

from components.priority import PriorityLevel, PriorityQueues, PriorityQueuesArgs

levels = PriorityQueues("levels", PriorityQueuesArgs(
    levels=[PriorityLevel("high", 4), PriorityLevel("low", 2)], worker_timeout=10, retry_delay_seconds=1))
single = PriorityQueues("single", PriorityQueuesArgs(
    levels=[PriorityLevel("all", 6)], worker_timeout=10, retry_delay_seconds=1))
for name, deployed in (("levels", levels), ("single", single)):
    pulumi.export(name, deployed.outputs)
