"""Medspa: a practice platform for medical aesthetics clinics."""
