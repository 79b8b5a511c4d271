import MagnumObjects

/// magnum-capi-helm's autoscaling bounds for a node group (`_get_node_counts` and
/// `_validate_allowed_node_counts`).
enum NodeGroupCounts {
    /// The default worker group: the first default, non-master nodegroup in id order.
    static func defaultWorker(in nodeGroups: [NodeGroup]) -> NodeGroup? {
        nodeGroups.first { ($0.isDefault ?? false) && $0.role != NodeGroupRole.master }
    }

    /// (min, max) for autoscaling: the nodegroup's own bounds, defaulting to its count; for the
    /// default worker group a `min_node_count` of 1 counts as unset (Magnum's default), and the
    /// `min_node_count` / `max_node_count` labels (or their site defaults) win.
    static func bounds(of nodeGroup: NodeGroup, defaultWorker: NodeGroup?, labels: ClusterLabels,
                       config: ClusterLabelDefaults) -> (min: Int, max: Int) {
        let count = nodeGroup.nodeCount ?? 1
        var minNodes = count
        var maxNodes = count
        if let m = nodeGroup.minNodeCount { minNodes = m }
        if let m = nodeGroup.maxNodeCount { maxNodes = m }
        if let defaultWorker, defaultWorker.id == nodeGroup.id {
            if nodeGroup.minNodeCount == 1 { minNodes = count }
            minNodes = labels.int("min_node_count", default: config.minNodeCount ?? minNodes)
            maxNodes = labels.int("max_node_count", default: config.maxNodeCount ?? maxNodes)
        }
        return (minNodes, maxNodes)
    }

    /// The bounds, refused as Python refuses them (`NodeGroupInvalidInput`).
    static func validatedBounds(of nodeGroup: NodeGroup, defaultWorker: NodeGroup?, labels: ClusterLabels,
                                config: ClusterLabelDefaults) throws(MagnumError) -> (min: Int, max: Int) {
        let b = bounds(of: nodeGroup, defaultWorker: defaultWorker, labels: labels, config: config)
        // CAPO cannot scale a node group to zero.
        if b.min < 1 {
            throw MagnumError("NodeGroupInvalidInput", message: "Min node count must be greater than or equal to 1 for all node groups.")
        }
        if b.min > (nodeGroup.nodeCount ?? 1) {
            throw MagnumError("NodeGroupInvalidInput", message: "Min node count must be less than or equal to current node count")
        }
        if b.max < b.min {
            throw MagnumError("NodeGroupInvalidInput", message: "Max node count must be greater than or equal to min node count")
        }
        return b
    }
}
