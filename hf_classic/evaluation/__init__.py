"""Evaluation of trained models on standard test sets."""
