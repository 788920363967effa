"""Event store on DynamoDB: versioned streams and one gap-free notification log (see ``store``), and a
persistence module for the ``eventsourcing`` package (``persistence``)."""
