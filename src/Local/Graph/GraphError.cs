using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Approvals.Local.Graph;

/// <summary>Microsoft Graph's error body, <c>{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}</c>
/// (https://learn.microsoft.com/en-us/graph/errors, "Error resource type").</summary>
public sealed record GraphErrorBody([property: JsonPropertyName("error")] GraphErrorDetail Error);

public sealed record GraphErrorDetail(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("innerError")] GraphInnerError InnerError);

public sealed record GraphInnerError(
    [property: JsonPropertyName("date")] string Date,
    [property: JsonPropertyName("request-id")] string RequestId,
    [property: JsonPropertyName("client-request-id")] string ClientRequestId);

/// <summary>A refusal the local Graph answers with: the status and Graph's code and message.</summary>
public sealed class GraphRefusalException(int status, string code, string message, int? retryAfterSeconds = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    /// <summary>Seconds for the <c>Retry-After</c> header (throttling and outages, https://learn.microsoft.com/en-us/graph/throttling).</summary>
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;

    /// <summary>404 <c>Request_ResourceNotFound</c>, Graph's wording for a missing object
    /// (https://learn.microsoft.com/en-us/graph/errors: 404 "The requested resource doesn't exist").</summary>
    public static GraphRefusalException NotFound(string id) =>
        new(404, "Request_ResourceNotFound", $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");

    /// <summary>403 <c>Authorization_RequestDenied</c>: what Graph answers when the app's permissions or directory role do
    /// not cover the call (https://learn.microsoft.com/en-us/graph/errors: 403 Forbidden, "the caller doesn't have
    /// permission"; the code and message as Graph returns them for app-only calls).</summary>
    public static GraphRefusalException Denied() => new(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

    public static GraphRefusalException BadRequest(string message) => new(400, "Request_BadRequest", message);

    /// <summary>What the local Graph does not serve: refused loudly, never answered as a success.</summary>
    public static GraphRefusalException NotModelled(string what) =>
        new(501, "NotImplemented", $"The local Microsoft Graph does not serve {what}.");

    public IResult ToResult(HttpContext http, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (RetryAfterSeconds is { } after)
        {
            http.Response.Headers.RetryAfter = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Write(http, time, Status, Code, Message);
    }

    public static IResult Write(HttpContext http, TimeProvider time, int status, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        var requestId = http.TraceIdentifier;
        var client = http.Request.Headers["client-request-id"].ToString();
        // Graph echoes request-id (and client-request-id when given) as headers too (https://learn.microsoft.com/en-us/graph/errors).
        http.Response.Headers["request-id"] = requestId;
        var body = new GraphErrorBody(new GraphErrorDetail(code, message, new GraphInnerError(
            time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), requestId, client.Length > 0 ? client : requestId)));
        return Results.Json(body, GraphJsonContext.Default.GraphErrorBody, statusCode: status);
    }
}
