"""Reusable Pulumi components for AWS serverless patterns, one component per module."""
