using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Approvals.Core.Http;

/// <summary>Reads request bodies with a size cap, as raw bytes (for signatures) or strict JSON.</summary>
public static class RequestBody
{
    public sealed class TooLargeException(long limit) : Exception($"The request body is larger than {limit} bytes.");

    /// <summary>Reads at most <paramref name="limit"/> bytes; throws <see cref="TooLargeException"/> beyond.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw new TooLargeException(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new TooLargeException(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.Contains("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses strictly; returns the error text (safe to show) on failure. Errors name the JSON fields the API
    /// documents (<c>userId</c>, <c>deadlineSeconds</c>) and what they must hold, never the .NET types behind them:
    /// unknown fields (names are case-sensitive, so a near miss is named) are found before the body is bound.</summary>
    public static (T? Value, string? Error) ParseJson<T>(byte[] body, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (body.Length == 0)
        {
            return (default, "The request body is empty; send a JSON object.");
        }

        // A free-form object (an action's body) has its fields checked by its reader, against the action's own list.
        if (typeof(T) != typeof(System.Text.Json.Nodes.JsonObject) && FieldProblem(body, type) is { } problem)
        {
            return (default, problem);
        }

        try
        {
            var value = JsonSerializer.Deserialize(body, type);
            return value is null ? (default, "The request body must be a JSON object.") : (value, null);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            var expected = type.Properties.FirstOrDefault(p => p.Name == field)?.PropertyType;
            return (default, field is null
                ? "The request body must be a JSON object of the documented fields."
                : $"Field \"{field}\" must be {Kind(expected)}.");
        }
    }

    /// <summary>Not JSON, not an object, or a field the body does not have: the message, else <c>null</c>.</summary>
    static string? FieldProblem<T>(byte[] body, JsonTypeInfo<T> type)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "The request body must be a JSON object.";
            }

            var fields = type.Properties.Select(p => p.Name).ToList();
            if ((type.UnmappedMemberHandling ?? type.Options.UnmappedMemberHandling) != System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)
            {
                return null;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (fields.Contains(property.Name, StringComparer.Ordinal))
                {
                    continue;
                }

                var name = property.Name.Length > 64 ? property.Name[..64] + "…" : property.Name;
                var meant = fields.FirstOrDefault(f => string.Equals(f, property.Name, StringComparison.OrdinalIgnoreCase));
                return meant is not null
                    ? $"Unknown field \"{name}\": field names are case-sensitive; did you mean \"{meant}\"?"
                    : $"Unknown field \"{name}\"; the fields are {string.Join(", ", fields.Select(f => $"\"{f}\""))}.";
            }

            return null;
        }
    }

    /// <summary>What a field must hold, in JSON's words.</summary>
    static string Kind(Type? type) => (type is null ? null : Nullable.GetUnderlyingType(type) ?? type) switch
    {
        { } t when t == typeof(string) => "a string",
        { } t when t == typeof(int) || t == typeof(long) => "a whole number (not in quotes)",
        { } t when t == typeof(bool) => "true or false",
        _ => "a value of the documented kind",
    };

    /// <summary>The one body reader of the API: a JSON body of at most <paramref name="limit"/> bytes, or the problem
    /// to answer with — 415 not JSON, 413 too large, 400 malformed. An <paramref name="optional"/> body may be absent
    /// (value and problem both <c>null</c>).</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpRequest request, int limit, JsonTypeInfo<T> type, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (optional && request.ContentLength is null or 0 && request.Headers.TransferEncoding.Count == 0)
        {
            return (null, null);
        }

        if (!optional && !IsJson(request))
        {
            return (null, ApprovalsApi.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."));
        }

        byte[] bytes;
        try
        {
            bytes = await ReadBytesAsync(request, limit, cancellationToken);
        }
        catch (TooLargeException e)
        {
            return (null, ApprovalsApi.Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", e.Message));
        }

        if (optional && bytes.Length == 0)
        {
            return (null, null);
        }

        if (!IsJson(request))
        {
            return (null, ApprovalsApi.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the optional body as application/json."));
        }

        var (value, error) = ParseJson(bytes, type);
        return value is null ? (null, ApprovalsApi.Problem(StatusCodes.Status400BadRequest, "Malformed request body", error!)) : (value, null);
    }
}
