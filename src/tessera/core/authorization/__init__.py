"""The authorization endpoint's story, from a request to its code (RFC 6749 4.1, OIDC
Core 3.1.2), one module per part:

- core.authorize: the request, validated (where a response may go, then the rest);
- interaction: does the request need the person to sign in or consent?
- pending: requests parked while the person does;
- approval: the grant, its one-time code, and remembered consent;
- advance: a code, a page, or an error for the client, and /authorize itself;
- sign_in and consent: the login and consent pages' use cases;
- core.authorization_response: the answer the client receives.
"""
