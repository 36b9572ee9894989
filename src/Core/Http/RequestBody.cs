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

    /// <summary>Parses strictly; returns the error text (safe to show) on failure.</summary>
    public static (T? Value, string? Error) ParseJson<T>(byte[] body, JsonTypeInfo<T> type)
    {
        if (body.Length == 0)
        {
            return (default, "The request body is empty; send a JSON object.");
        }

        try
        {
            var value = JsonSerializer.Deserialize(body, type);
            return value is null ? (default, "The request body must be a JSON object.") : (value, null);
        }
        catch (JsonException e)
        {
            // System.Text.Json's messages name the path and the problem, never more than the offending token.
            var message = e.Message.Length > 300 ? e.Message[..300] : e.Message;
            return (default, "The request body is not valid: " + message);
        }
    }

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
