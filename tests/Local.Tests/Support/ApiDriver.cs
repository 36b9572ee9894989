using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;

namespace Approvals.Local.Tests.Support;

/// <summary>Drives the public HTTP API the way a client does.</summary>
public static class ApiDriver
{
    public static async Task<string> StartResetAsync(this TestHost host, string userId = "123", string reason = "to recover account", int? deadlineSeconds = null, string? idempotencyKey = null)
    {
        using var response = await host.PostResetAsync(userId, reason, deadlineSeconds, idempotencyKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.StartedResponse);
        Assert.Equal(response.Headers.Location, new Uri(started!.StatusQueryGetUri));
        return started.Id;
    }

    public static Task<HttpResponseMessage> PostResetAsync(this TestHost host, string userId, string reason, int? deadlineSeconds = null, string? idempotencyKey = null, HttpClient? http = null)
    {
        host.Know(userId);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/password-resets")
        {
            Content = JsonContent.Create(new PasswordResetBody { UserId = userId, Reason = reason, DeadlineSeconds = deadlineSeconds }, ApiJsonContext.Default.PasswordResetBody),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return (http ?? host.Http).SendAsync(request);
    }

    /// <summary>Asks for time-boxed access (202 expected) as <paramref name="http"/> (default: the helpdesk caller).</summary>
    public static async Task<string> StartAccessAsync(this TestHost host, int seconds, string resource = "Production", HttpClient? http = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/access-requests")
        {
            Content = JsonContent.Create(new AccessRequestBody { Resource = resource, Reason = "to debug production", DurationSeconds = seconds }, ApiJsonContext.Default.AccessRequestBody),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await (http ?? host.Http).SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Approves as a person of the local directory (bob, by default), as an approver's click reaches Indent: a
    /// grant four eyes accepts while that person is neither the requester nor the target. (The workflow's own Indent
    /// token is not a person: a grant it made is refused.)</summary>
    public static Core.Indent.IndentEvent ApproveAsAPerson(this TestHost host, string petition, string person = "bob@local") =>
        host.Emulator.Claim(petition, new Core.Indent.IndentEvent { EventType = Core.Indent.IndentEventTypes.Approve }, person);

    /// <summary>Makes sure the local directory knows <paramref name="userId"/> (as <c>{id}@local</c>), as a test's users must exist.</summary>
    public static void Know(this TestHost host, string userId)
    {
        if (!host.Users.People().ContainsKey(userId))
        {
            host.Users.Add(new Actions.LocalPerson(userId, userId, userId + "@local"));
        }
    }

    public static async Task<ApprovalView> ViewAsync(this TestHost host, string id) =>
        (await host.Http.GetFromJsonAsync($"api/approvals/{id}", ApiJsonContext.Default.ApprovalView))!;

    public static async Task<ApprovalView> WaitForAsync(this TestHost host, string id, Func<ApprovalView, bool> until, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        var view = await host.ViewAsync(id);
        while (!until(view) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            view = await host.ViewAsync(id);
        }

        Assert.True(until(view), $"approval {id} is {view.Status} ({view.Detail}) after {timeoutMs} ms");
        return view;
    }

    public static Task<ApprovalView> WaitForStatusAsync(this TestHost host, string id, string status, int timeoutMs = 20_000) =>
        host.WaitForAsync(id, v => v.Status == status, timeoutMs);

    public static Task<ApprovalView> WaitForPetitionAsync(this TestHost host, string id) =>
        host.WaitForAsync(id, v => v.Petition is not null && v.Status == "awaiting_approval");

    /// <summary>Sends a webhook to our endpoint signed with the configured secret (what Indent would send).</summary>
    public static async Task<HttpResponseMessage> SendWebhookAsync(this TestHost host, IndentEvent e, string? secret = TestHost.WebhookSecret, DateTimeOffset? at = null)
    {
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new WebhookPayload { Events = [e] }, IndentJsonContext.Default.WebhookPayload));
        return await host.SendRawWebhookAsync(body, secret, at);
    }

    public static async Task<HttpResponseMessage> SendRawWebhookAsync(this TestHost host, byte[] body, string? secret = TestHost.WebhookSecret, DateTimeOffset? at = null)
    {
        var timestamp = IndentWebhookSignature.FormatTimestamp(at ?? DateTimeOffset.UtcNow);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/indent") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(IndentWebhookSignature.TimestampHeader, timestamp);
        if (secret is not null)
        {
            request.Headers.Add(IndentWebhookSignature.SignatureHeader, IndentWebhookSignature.Sign(secret, timestamp, body));
        }

        return await host.Http.SendAsync(request);
    }

    public static int Resets(this TestHost host, string userId) => host.Users.Find(userId)?.Resets ?? 0;
}
