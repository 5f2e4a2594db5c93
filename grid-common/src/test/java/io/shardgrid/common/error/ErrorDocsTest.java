package io.shardgrid.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.shardgrid.proto.v1.Error;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's error table and errors.proto's enum comments state what {@link GridErrorCode} says (wire
 * number, gRPC status, outcome, retry class) for every code, and name the trailer that is sent: a
 * client author reads only those two, so they must not drift from the code.
 */
class ErrorDocsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path ERRORS_PROTO = Path.of("..", "proto", "shardgrid", "v1", "errors.proto");
    /** `NAME = 1;  // [definite, after map refresh] meaning` */
    private static final Pattern PROTO_LINE =
        Pattern.compile("^\\s*([A-Z_]+) = (\\d+);\\s*// \\[(\\w+), ([a-z ]+)\\] \\S.*$");

    /** How both documents name a retry class. */
    static String label(GridErrorCode.Retry retry) {
        return switch (retry) {
            case NEVER -> "never";
            case AFTER_MAP_REFRESH -> "after map refresh";
            case AFTER_BACKOFF -> "after backoff";
            case A_FEW_TIMES -> "a few times";
            case IF_IDEMPOTENT -> "idempotent only";
        };
    }

    static String label(GridErrorCode.Outcome outcome) {
        return outcome.name().toLowerCase();
    }

    private static List<GridErrorCode> errors() {
        return Arrays.stream(GridErrorCode.values()).filter(c -> c != GridErrorCode.OK).toList();
    }

    @Test
    void readmeTableRowsAreExactlyTheCodesAsGridErrorCodeDefinesThem() throws IOException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Error codes");
            } else if (inSection && line.startsWith("| `")) {
                List<String> cells = Arrays.stream(line.split("\\|")).map(String::trim).skip(1).toList();
                rows.put(cells.get(0).replace("`", ""), cells);
            }
        }
        assertThat(rows.keySet()).containsExactlyElementsOf(errors().stream().map(Enum::name).toList());
        for (GridErrorCode code : errors()) {
            List<String> row = rows.get(code.name());
            assertThat(row.subList(1, 5)).as(code.name()).containsExactly(String.valueOf(code.wire()),
                Status.fromCodeValue(code.grpcStatus()).getCode().name(), label(code.outcome()), label(code.retry()));
            assertThat(row.get(5)).as(code.name() + " meaning").isNotBlank();
        }
    }

    @Test
    void errorsProtoCommentsGiveEachCodesOutcomeAndRetryClass() throws IOException {
        Map<String, Matcher> lines = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ERRORS_PROTO)) {
            Matcher m = PROTO_LINE.matcher(line);
            if (m.matches()) {
                lines.put(m.group(1), m);
            }
        }
        assertThat(lines.keySet()).containsExactlyElementsOf(errors().stream().map(Enum::name).toList());
        for (GridErrorCode code : errors()) {
            Matcher m = lines.get(code.name());
            assertThat(List.of(m.group(2), m.group(3), m.group(4))).as(code.name())
                .containsExactly(String.valueOf(code.wire()), label(code.outcome()), label(code.retry()));
        }
    }

    @Test
    void bothNameTheTrailerTheServerSends() throws IOException {
        // The name ProtoUtils.keyForProto gives it (and gRPC lowercases): the message's full name plus "-bin".
        String sent = ProtoUtils.keyForProto(Error.getDefaultInstance()).name();
        assertThat(sent).isEqualTo("shardgrid.v1.error-bin");
        assertThat(Files.readString(README)).contains("`" + sent + "` trailer");
        assertThat(Files.readString(ERRORS_PROTO)).contains("binary trailer \"" + sent + "\"");
    }

    @Test
    void theDocumentedAttemptBoundIsTheOneTheCodeUses() throws IOException {
        String bound = "at most " + GridErrorCode.A_FEW_TIMES_ATTEMPTS + " attempts in all";
        assertThat(Files.readString(README)).contains(bound);
        assertThat(Files.readString(ERRORS_PROTO)).contains(bound);
    }
}
