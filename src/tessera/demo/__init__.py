"""The seed's other participants for `tessera demo`: a sample API and a demo client."""
