"""The agent: plan, ground, compose, render, judge, repair."""
