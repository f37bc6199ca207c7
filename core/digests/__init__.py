"""Scheduled recommendation digests: subscriptions, schedules, content and exactly-once delivery."""
