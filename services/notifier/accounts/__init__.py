"""Officers' accounts: the account itself (account.py), the roles and what each may see
(roles.py), passwords and second factors (credentials.py), new accounts (enrolment.py) and
signing in (signing_in.py). Stored in the notifier's database
(services/notifier/store/officers.py); created and disabled with `crosslink officers`."""
