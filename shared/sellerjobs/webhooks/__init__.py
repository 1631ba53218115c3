"""Sellers' webhook endpoints: registration, signed delivery (Standard Webhooks), retries, safety."""
