package io.shardgrid.server.consensus;

import io.shardgrid.common.retry.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the groups of an interrupted founding that can never elect, and deletes them so that they
 * can be created again.
 *
 * <p>Ratis keeps the configuration a group is created with in memory only; it is written to disk
 * with the first entry a leader appends (the configuration itself). A replica restarted before it
 * heard from any leader therefore comes back knowing no peers: it waits, refusing votes, for a
 * leader to reach it. When that is true of a majority of a group's replicas, no leader can ever be
 * elected, and nothing was ever committed (a commit needs a majority holding the leader's entries,
 * which start with the configuration). Such a group is deleted from every founder, so that no
 * replica keeps a vote or a term from before, and the founding creates it afresh.
 */
final class NeverElectedGroups {
    private static final Logger LOG = LoggerFactory.getLogger(NeverElectedGroups.class);
    /** A founder restarted at the same time may still be starting. */
    private static final Duration REACH_DEADLINE = Duration.ofSeconds(60);
    private static final RetryPolicy REACH = RetryPolicy.exponential(Duration.ofMillis(200), Duration.ofMillis(200));

    private final RaftClients clients;
    private final String selfId;

    NeverElectedGroups(RaftClients clients, String selfId) {
        this.clients = clients;
        this.selfId = selfId;
    }

    /** Deletes, on every founder that holds it, each of {@code groups} that a majority of founders hold without a configuration. */
    void delete(List<RaftPeer> founders, List<RaftGroupId> groups) throws IOException {
        Map<RaftGroupId, Set<RaftPeer>> holders = new ConcurrentHashMap<>();
        Map<RaftGroupId, Set<RaftPeer>> configured = new ConcurrentHashMap<>();
        GroupSteps.runAll(selfId + "-describe", IntStream.range(0, founders.size()).boxed().toList(), i -> {
            RaftPeer founder = founders.get(i);
            List<RaftGroupId> held = heldBy(founder);
            for (RaftGroupId group : groups) {
                if (held.contains(group)) {
                    holders.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet()).add(founder);
                    if (hasConfiguration(founder, group)) {
                        configured.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet()).add(founder);
                    }
                }
            }
        });
        int majority = founders.size() / 2 + 1;
        List<RaftGroupId> stuck = groups.stream()
            .filter(g -> holders.containsKey(g) && configured.getOrDefault(g, Set.of()).size() < majority)
            .toList();
        if (stuck.isEmpty()) {
            return;
        }
        LOG.info("{}: {} of {} groups never elected a leader and cannot now; deleting them to create them again: {}",
            selfId, stuck.size(), groups.size(), stuck);
        GroupSteps.runAll(selfId + "-delete", IntStream.range(0, stuck.size()).boxed().toList(), i -> {
            RaftGroupId group = stuck.get(i);
            for (RaftPeer holder : holders.get(group)) {
                try (RaftClient client = clients.oneShotClient(group, holder)) {
                    client.getGroupManagementApi(holder.getId()).remove(group, true, false);
                }
            }
        });
    }

    /** The groups {@code founder} holds; retries until it answers (it may be starting too). */
    private List<RaftGroupId> heldBy(RaftPeer founder) throws IOException {
        try {
            return REACH.call(REACH_DEADLINE, () -> {
                try (RaftClient client = clients.oneShotClient(GroupIds.META_GROUP, founder)) {
                    return client.getGroupManagementApi(founder.getId()).list().getGroupIds();
                }
            }, failure -> true);
        } catch (IOException | RuntimeException e) {
            throw new IOException("founder " + founder.getId() + " did not answer within "
                + REACH_DEADLINE.toSeconds() + " s; every founder must be up to resume the founding", e);
        }
    }

    private boolean hasConfiguration(RaftPeer founder, RaftGroupId group) throws IOException {
        try (RaftClient client = clients.oneShotClient(group, founder)) {
            GroupInfoReply info = client.getGroupManagementApi(founder.getId()).info(group);
            return info.getConf().map(c -> c.getPeersCount() > 0).orElse(false);
        }
    }
}
