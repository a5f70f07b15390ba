"""Source formats, validation, quarantine, identity resolution and the synthetic borough."""
