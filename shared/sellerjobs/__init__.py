"""sellerjobs: serverless background jobs for marketplace sellers."""
