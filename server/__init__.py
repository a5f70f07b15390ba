"""The web service: Starlette app, GraphQL schema, sign-in, access policy, audit and CLI."""
