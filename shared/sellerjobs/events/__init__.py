"""Job events: what every job family announces when a state change is stored, and how the
announcement reaches the EventBridge bus and sellers' webhook endpoints."""
