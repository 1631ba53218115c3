"""eBay REST clients (httpx). They raise the job kernel's ``sellerjobs.jobs.marketplace`` errors."""
