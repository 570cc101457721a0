"""The demo city: ``flask demo seed`` builds a living city to try Zeren on."""
