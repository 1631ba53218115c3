"""Category fetches: every leaf category's item aspects of an eBay category tree, in the background."""
