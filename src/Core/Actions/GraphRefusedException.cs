using System.Net;
using System.Text.Json;

namespace Approvals.Core.Actions;

/// <summary>Microsoft Graph said no: the status and Graph's own <c>error.code</c> and <c>error.message</c>
/// (https://learn.microsoft.com/en-us/graph/errors), so a refusal is told apart by what Graph means, not guessed from the
/// status alone. An <see cref="HttpRequestException"/>, so callers that look only at the status still can.</summary>
public sealed class GraphRefusedException(string message, HttpStatusCode status, string? code, string? graphMessage)
    : HttpRequestException(message, null, status)
{
    /// <summary>Graph's <c>error.code</c>, e.g. <c>Request_BadRequest</c>, <c>Authorization_RequestDenied</c>.</summary>
    public string? Code { get; } = code;

    /// <summary>Graph's <c>error.message</c>, e.g. "Insufficient privileges to complete the operation."</summary>
    public string? GraphMessage { get; } = graphMessage;

    /// <summary>Reads a non-success response into a refusal: "Microsoft Graph refused to {what} (HTTP 400
    /// Request_BadRequest: …)". For a call that sent <paramref name="secret"/> (a password being set) only the code is
    /// kept, never Graph's message; otherwise the message, cut to 300 characters.</summary>
    public static async Task<GraphRefusedException> ReadAsync(HttpResponseMessage response, string what, string? secret = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        string? code = null, message = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var body = JsonDocument.Parse(text);
            if (body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // not Graph's error body (a proxy's page): the status alone is what we know
        }

        if (!string.IsNullOrEmpty(secret))
        {
            // A call that sent a secret keeps only Graph's code: its message could quote the value in any form
            // (case, encoding, a part of it), and no check on the text can rule that out.
            message = null;
        }
        else if (message is { Length: > 300 })
        {
            message = message[..300];
        }

        var status = response.StatusCode;
        var detail = code is null ? "" : " " + code + (message is null ? "" : ": " + message);
        return new GraphRefusedException($"Microsoft Graph refused to {what} (HTTP {(int)status}{detail}).", status, code, message);
    }

    /// <summary>Graph's 400 for adding an object that already is a member ("One or more added object references already
    /// exist …", https://learn.microsoft.com/en-us/graph/api/group-post-members: "400 Bad Request … when the object is
    /// already a member of the group"). The status is shared with other refusals (a mail-enabled group), so the message
    /// tells them apart.</summary>
    public bool IsAlreadyMember =>
        StatusCode == HttpStatusCode.BadRequest && GraphMessage?.Contains("added object references already exist", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Graph's 400 for a change to a group it will not change at all: a mail-enabled security group or a
    /// distribution list, read-only through Graph (https://learn.microsoft.com/en-us/graph/api/resources/groups-overview;
    /// the message, "Cannot Update a mail-enabled security groups and or distribution list.", as reported in
    /// microsoftgraph/microsoft-graph-docs#14827). No write of ours to that group can have landed, earlier or now.</summary>
    public bool IsReadOnlyGroup =>
        StatusCode == HttpStatusCode.BadRequest && GraphMessage?.Contains("mail-enabled", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The Graph refusal behind <paramref name="e"/> (itself, or one of its inner exceptions); null when Graph
    /// did not refuse.</summary>
    public static GraphRefusedException? Of(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is GraphRefusedException refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    /// <summary>A refusal that retrying cannot change (Graph's 4xx other than throttling and timeouts).</summary>
    public bool IsPermanent => (int?)StatusCode is >= 400 and < 500 and not 408 and not 429;
}
