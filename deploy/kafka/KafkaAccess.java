// Not a build either: run by the JDK's source launcher on the broker's own classpath,
//   java -cp '<libs>/*' deploy/kafka/KafkaAccess.java < spec.json
// (sinergi_local.kafka.KafkaBroker.provision does this). It makes the broker's SCRAM users and
// ACLs what the JSON spec on stdin says, through the Kafka Admin API:
//
//   {"admin": {<admin client properties: the client listener, as the super user>},
//    "users": [{"name": "job-market", "password": "..."}],
//    "grants": [{"principal": "job-market", "resource": "TOPIC", "name": "sinergi.job-market.v1",
//                "pattern": "LITERAL", "operation": "WRITE"}]}
//
// SCRAM credentials are upserted (a new password replaces the old one); every ACL of a principal
// named in "users" that the spec does not grant is deleted, and the missing ones are created.
// Then it waits until the broker serves those users and ACLs (the controller commits them first),
// so that a client connecting right after is already known. aiokafka has no Admin API for SCRAM
// users or ACLs, hence Java.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class KafkaAccess {
    private static final int ITERATIONS = 8192;
    private static final long WAIT_MILLIS = 30_000;

    public static void main(String[] args) throws Exception {
        JsonNode spec = new ObjectMapper().readTree(System.in);
        Set<String> principals = new HashSet<>();
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        for (JsonNode user : spec.get("users")) {
            String name = user.get("name").asText();
            principals.add("User:" + name);
            upserts.add(new UserScramCredentialUpsertion(
                name,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS),
                user.get("password").asText()));
        }
        Set<AclBinding> wanted = new HashSet<>();
        for (JsonNode grant : spec.get("grants")) {
            wanted.add(new AclBinding(
                new ResourcePattern(
                    ResourceType.fromString(grant.get("resource").asText()),
                    grant.get("name").asText(),
                    PatternType.fromString(grant.get("pattern").asText())),
                new AccessControlEntry(
                    "User:" + grant.get("principal").asText(),
                    "*",
                    AclOperation.fromString(grant.get("operation").asText()),
                    AclPermissionType.ALLOW)));
        }

        int created;
        int deleted;
        Set<String> users = spec.get("users").findValuesAsText("name").stream()
            .collect(Collectors.toSet());
        try (Admin admin = Admin.create(properties(spec.get("admin")))) {
            if (!upserts.isEmpty()) {
                admin.alterUserScramCredentials(upserts).all().get();
            }
            Set<AclBinding> existing = new HashSet<>(
                admin.describeAcls(AclBindingFilter.ANY).values().get());
            List<AclBindingFilter> stale = existing.stream()
                .filter(b -> principals.contains(b.entry().principal()) && !wanted.contains(b))
                .map(AclBinding::toFilter)
                .collect(Collectors.toList());
            if (!stale.isEmpty()) {
                admin.deleteAcls(stale).all().get();
            }
            List<AclBinding> missing = wanted.stream()
                .filter(b -> !existing.contains(b))
                .collect(Collectors.toList());
            if (!missing.isEmpty()) {
                admin.createAcls(missing).all().get();
            }
            created = missing.size();
            deleted = stale.size();
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            while (true) {
                String lag = brokerLag(admin, users, principals, wanted);
                if (lag == null) {
                    break;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the broker did not catch up: " + lag);
                }
                Thread.sleep(50);
            }
        }
        System.out.printf(
            "kafka access: %d user(s), %d ACL(s) created, %d stale ACL(s) deleted%n",
            users.size(), created, deleted);
    }

    /** Why the broker does not serve the spec yet, or null when it does. */
    private static String brokerLag(
            Admin broker, Set<String> users, Set<String> principals, Set<AclBinding> wanted)
            throws InterruptedException {
        try {
            Map<String, UserScramCredentialsDescription> known =
                broker.describeUserScramCredentials().all().get();
            Set<String> absent = new HashSet<>(users);
            absent.removeAll(known.keySet());
            if (!absent.isEmpty()) {
                return "users " + absent;
            }
            Set<AclBinding> served = broker.describeAcls(AclBindingFilter.ANY).values().get()
                .stream()
                .filter(b -> principals.contains(b.entry().principal()))
                .collect(Collectors.toSet());
            return served.equals(wanted) ? null : "ACLs " + served.size() + "/" + wanted.size();
        } catch (ExecutionException e) {
            // E.g. the super user's own SCRAM credential is not on the broker yet.
            return String.valueOf(e.getCause());
        }
    }

    private static Properties properties(JsonNode node) {
        Properties props = new Properties();
        node.fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
        return props;
    }
}
