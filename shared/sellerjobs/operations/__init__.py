"""Operating the queues: counts by state, dead-letter queues, pause switches (every family)."""
