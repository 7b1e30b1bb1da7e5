"""Cable-vocabulary correction: candidates, noisy channel, language model, calibration."""
