"""One APIRouter per concern: digests (jobs), health, metrics."""
