package dev.sextant.support;

import java.lang.reflect.Type;

import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.introspect.BeanPropertyDefinition;
import tools.jackson.databind.introspect.ClassIntrospector;

/**
 * Names a request-body field the way the client sent it. Bean validation reports Java property paths
 * ({@code topK}, {@code chunks[0].startOffset}); this walks such a path through the mapper's deserialization view
 * of the bound class, so {@code @JsonProperty} renames and the mapper's naming strategy apply exactly as they did
 * when the body was read. Indexes and map keys ({@code [0]}, {@code [dept]}) are kept as they are; a segment
 * Jackson does not know (an ignored property, a map's or a {@code JsonNode}'s content) keeps its Java name, and so
 * does everything after it.
 *
 * <pre>{@code
 * new JsonFieldNames(jsonMapper).of(SearchRequest.class, "topK"); // "top_k"
 * }</pre>
 */
final class JsonFieldNames {

    private final ObjectMapper mapper;

    JsonFieldNames(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The JSON path of {@code propertyPath} (Spring's {@code FieldError.getField()} form) in a body of type {@code root}. */
    String of(Type root, String propertyPath) {
        if (root == null || propertyPath == null || propertyPath.isEmpty()) {
            return propertyPath;
        }
        JavaType type = mapper.constructType(root);
        StringBuilder out = new StringBuilder(propertyPath.length() + 8);
        int i = 0;
        while (i < propertyPath.length()) {
            char c = propertyPath.charAt(i);
            if (c == '[') {
                int close = propertyPath.indexOf(']', i);
                int end = close < 0 ? propertyPath.length() : close + 1;
                out.append(propertyPath, i, end);
                type = type != null && type.isContainerType() ? type.getContentType() : null;
                i = end;
            } else if (c == '.') {
                out.append('.');
                i++;
            } else {
                int end = i;
                while (end < propertyPath.length() && propertyPath.charAt(end) != '.' && propertyPath.charAt(end) != '[') {
                    end++;
                }
                String name = propertyPath.substring(i, end);
                BeanPropertyDefinition property = type != null ? property(type, name) : null;
                out.append(property != null ? property.getName() : name);
                type = property != null ? property.getPrimaryType() : null;
                i = end;
            }
        }
        return out.toString();
    }

    /** The property Jackson reads into the Java property {@code name} of {@code type}, or null. */
    private BeanPropertyDefinition property(JavaType type, String name) {
        if (type.isContainerType() || type.isPrimitive() || type.isEnumType() || type.isJavaLangObject()
                || type.getRawClass().getName().startsWith("java.")) {
            return null;
        }
        DeserializationConfig config = mapper.deserializationConfig();
        ClassIntrospector introspector = config.classIntrospectorInstance();
        BeanDescription bean = introspector.introspectForDeserialization(type, introspector.introspectClassAnnotations(type));
        for (BeanPropertyDefinition property : bean.findProperties()) {
            if (property.getInternalName().equals(name)) {
                return property;
            }
        }
        return null;
    }
}
