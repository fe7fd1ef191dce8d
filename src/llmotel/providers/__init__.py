"""Provider adapters: one folder each, translating an SDK's objects into the core's call record."""
