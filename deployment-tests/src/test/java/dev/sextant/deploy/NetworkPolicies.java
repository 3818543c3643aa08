package dev.sextant.deploy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Evaluates rendered NetworkPolicies the way the Kubernetes API defines them (policies are allow-lists, a pod
 * selected by any policy of a type is isolated for that type, rules are OR-ed, a peer with both selectors needs
 * both), so tests can ask "may this pod reach that pod on this port" instead of matching YAML shapes.
 *
 * <pre>{@code
 * var policies = new NetworkPolicies(rendered.all(NetworkPolicy.class), "sextant");
 * boolean ok = policies.allows(gatewayPod, retrievalPod, 8082);
 * }</pre>
 */
final class NetworkPolicies {

    /** A pod: its namespace, the namespace's labels, its own labels and its named container ports. */
    record Pod(String namespace, Map<String, String> namespaceLabels, Map<String, String> labels,
               Map<String, Integer> namedPorts) {

        static Pod in(String namespace, Map<String, String> labels, Map<String, Integer> namedPorts) {
            return new Pod(namespace, Map.of("kubernetes.io/metadata.name", namespace), labels, namedPorts);
        }
    }

    private final List<NetworkPolicy> policies;
    private final String namespace;

    NetworkPolicies(List<NetworkPolicy> policies, String namespace) {
        this.policies = policies;
        this.namespace = namespace;
    }

    /** Traffic is allowed when the source may send it (egress) and the destination may receive it (ingress). */
    boolean allows(Pod from, Pod to, int port) {
        return egressAllowed(from, to, port) && ingressAllowed(from, to, port);
    }

    boolean ingressAllowed(Pod from, Pod to, int port) {
        return allowed(to, "Ingress", p -> p.getSpec().getIngress() == null ? List.<Rule>of()
                : p.getSpec().getIngress().stream().map(r -> new Rule(r.getFrom(), r.getPorts())).toList(), from, to, port);
    }

    boolean egressAllowed(Pod from, Pod to, int port) {
        return allowed(from, "Egress", p -> p.getSpec().getEgress() == null ? List.<Rule>of()
                : p.getSpec().getEgress().stream().map(r -> new Rule(r.getTo(), r.getPorts())).toList(), to, to, port);
    }

    private record Rule(List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {
    }

    /** {@code subject}: the pod the policies select; {@code peer}: the other end; {@code target}: who owns the port. */
    private boolean allowed(Pod subject, String type, Function<NetworkPolicy, List<Rule>> rules, Pod peer, Pod target, int port) {
        if (!subject.namespace().equals(namespace)) {
            return true; // only this release's namespace has policies in these tests
        }
        List<NetworkPolicy> selecting = policies.stream()
                .filter(p -> matches(p.getSpec().getPodSelector(), subject.labels()))
                .filter(p -> policyTypes(p).contains(type)).toList();
        if (selecting.isEmpty()) {
            return true;
        }
        return selecting.stream().flatMap(p -> rules.apply(p).stream())
                .anyMatch(rule -> peerMatches(rule.peers(), peer) && portMatches(rule.ports(), target, port));
    }

    private static List<String> policyTypes(NetworkPolicy policy) {
        List<String> types = policy.getSpec().getPolicyTypes();
        if (types != null && !types.isEmpty()) {
            return types;
        }
        return policy.getSpec().getEgress() == null || policy.getSpec().getEgress().isEmpty()
                ? List.of("Ingress") : List.of("Ingress", "Egress");
    }

    private boolean peerMatches(List<NetworkPolicyPeer> peers, Pod pod) {
        if (peers == null || peers.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPeer peer : peers) {
            if (peer.getIpBlock() != null) {
                continue; // pod-to-pod questions only
            }
            boolean namespaceOk = peer.getNamespaceSelector() == null
                    ? pod.namespace().equals(namespace)
                    : matches(peer.getNamespaceSelector(), pod.namespaceLabels());
            boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), pod.labels());
            if (namespaceOk && podOk) {
                return true;
            }
        }
        return false;
    }

    private static boolean portMatches(List<NetworkPolicyPort> ports, Pod target, int port) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort p : ports) {
            if (p.getProtocol() != null && !p.getProtocol().equals("TCP")) {
                continue;
            }
            IntOrString value = p.getPort();
            if (value == null) {
                return true;
            }
            Integer number = value.getIntVal() != null ? value.getIntVal() : target.namedPorts().get(value.getStrVal());
            if (number != null && number == port) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && r.getValues().contains(value);
                    case "NotIn" -> value == null || !r.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new IllegalArgumentException("unknown selector operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
