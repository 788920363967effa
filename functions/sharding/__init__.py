"""Consistent hashing: placement (ring, ketama, jump, rendezvous, bounded loads) and a router to SQS FIFO shards."""
