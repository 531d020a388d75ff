"""Reading a source: S3 access, date partitions and prefixes, sampling, decompression, record splitting,
format detection and the onboarding checklist. Nothing here knows schemas."""
