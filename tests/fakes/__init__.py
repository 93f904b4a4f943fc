"""Faithful local fakes of the hosted image APIs, served on loopback for tests."""
