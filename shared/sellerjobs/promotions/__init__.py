"""Promoted Listings jobs: queue an ad for a listing, retry through eBay's sync delay."""
