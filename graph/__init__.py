"""The family-context graph: model, store protocol, backends and the questions it answers."""
