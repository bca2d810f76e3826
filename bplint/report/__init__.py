"""After the scan: findings and fixes, inline suppressions and `--add-noqa`, baselines, the
source lines reports and fingerprints read, and the reporters that turn a scan result
into text for people or data for machines.
"""
