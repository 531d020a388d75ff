"""The embedded demo: a real AWS API (moto's server) on a loopback port, seeded like a production log bucket."""
