"""What the tests share: surveys and answers, key bursts, the SSH harness, the demo date."""
