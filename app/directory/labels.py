"""What the log-in page says about the directory and the identity service (English msgids)."""
from flask_babel import lazy_gettext as _l

NOTICES = {
    "unreachable": _l("The city's directory cannot be reached just now. Accounts made in Zeren still log in "
                      "with their own password; directory accounts, please try again in a few minutes."),
    "unreachable_no_fallback": _l("The city's directory cannot be reached just now, so nobody can log in. "
                                  "Please try again in a few minutes or call the city committee's administrator."),
    "name_taken": _l("An account with this user name already exists in Zeren and is not linked to the directory. "
                     "Ask the city committee's administrator to sort it out."),
    "name_invalid": _l("Your directory user name cannot be used in Zeren (2–60 lower-case letters, digits, dot, "
                       "hyphen or underscore). Ask the city committee's administrator."),
    "sso_failed": _l("The log-in through the unified identity service could not be confirmed and was refused. "
                     "Please start again."),
    "sso_unreachable": _l("The unified identity service cannot be reached just now. Please try again in a few "
                          "minutes, or log in with your user name and password."),
    "sso_cancelled": _l("The log-in at the unified identity service was cancelled."),
}

SOURCE_LABELS = {"ldap": _l("City directory"), "oidc": _l("Unified identity service")}
