"""The operator's command line, `crosslink`: topics, dead letters, the districts directory,
deliveries, generic values, registry imports. It stands above the services and ships in the
production image; the development harness adds its own commands when it is installed."""
