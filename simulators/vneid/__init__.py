"""Simulator of VNeID as an OpenID Connect provider (authorization code flow with PKCE)."""
