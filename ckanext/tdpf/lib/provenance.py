"""The contract between the harvester and the schema for provenance fields (SPEC §3).

Provenance is read-only for every caller except a harvest run, which marks its context
with ``CONTEXT_KEY``. A context is never built from a request, so no API caller can set it.
A dataset that several harvest sources hold (cross-source duplicates) carries the fields of
the source its content comes from; the harvest keeps which sources hold it
(``tdpf_harvest_dataset_source_list``).
"""
CONTEXT_KEY = "tdpf_provenance"
FIELDS = ("tdpf_source_url", "tdpf_source_id", "tdpf_source_modified", "tdpf_harvested_at",
          "tdpf_source_hash")
# Organizations the schema's validators looked up, by id or name. A harvest batch passes one
# dict in every context it validates with, so each organization is read once per batch.
ORGANIZATION_CACHE_KEY = "tdpf_organizations"
# Dataset names a harvest batch has just read as free (no other live dataset holds them):
# the name validator need not ask the database again.
FREE_NAMES_KEY = "tdpf_free_names"
