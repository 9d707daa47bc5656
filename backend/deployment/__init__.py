"""The service's chain as people and routes see it: the deployment record (chain id, public RPC,
contract addresses) and the node's status. The types are the chain's own (`backend.chain`).
"""
