"""The tutorial's study, reproduced and carried further: ``seedwise demo``."""
