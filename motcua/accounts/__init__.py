"""Staff authentication hardening: TOTP two-factor, lockout, session expiry, idle accounts, password rules."""
