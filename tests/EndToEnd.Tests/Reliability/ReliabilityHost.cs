using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Approvals.Core.Webhooks;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Drives a host process from outside and keeps every response body, so the suite can scan them for secrets.
/// <paramref name="state"/> is where the engine keeps its record: the host's own (in memory) unless a task hub is given.</summary>
public sealed class ReliabilityDriver(HostProcess host, IDurableState? state = null)
{
    public ConcurrentQueue<string> Responses { get; } = new();
    public ConcurrentBag<string> Ids { get; } = [];

    public HostProcess Host => host;

    /// <summary>The engine's record through the host's instance API (in-memory and Azure Storage alike).</summary>
    public EngineRecord Engine { get; } = new(host);

    IDurableState State => state ?? Engine;

    async Task<string> Keep(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Responses.Enqueue(body);
        return body;
    }

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        var (status, body, _) = await SendWithTypeAsync(request);
        return (status, body);
    }

    /// <summary>As <see cref="SendAsync"/>, with the response's media type (problem+json is judged by it).</summary>
    public async Task<(HttpStatusCode Status, string Body, string? MediaType)> SendWithTypeAsync(HttpRequestMessage request)
    {
        using var response = await host.Http.SendAsync(request);
        return (response.StatusCode, await Keep(response), response.Content.Headers.ContentType?.MediaType);
    }

    public async Task<string> StartAsync(string user, string reason = "reliability", int? deadlineSeconds = null)
    {
        host.Know(user);
        using var response = await host.Http.PostAsJsonAsync("api/password-resets", new { userId = user, reason, deadlineSeconds });
        var body = await Keep(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        Ids.Add(id);
        return id;
    }

    public async Task<JsonElement> ViewAsync(string id)
    {
        using var response = await host.Http.GetAsync($"api/approvals/{id}");
        return JsonDocument.Parse(await Keep(response)).RootElement.Clone();
    }

    public async Task<JsonElement> WaitAsync(string id, Func<JsonElement, bool> done, int seconds = 60)
    {
        var view = await ViewAsync(id);
        for (var i = 0; i < seconds * 10 && !done(view); i++)
        {
            await Task.Delay(100);
            view = await ViewAsync(id);
        }

        return view;
    }

    /// <summary>The approval's status; null when the answer is not an approval (a 404 problem's status is a number).</summary>
    public static string? StatusOf(JsonElement view) => view.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

    public static bool IsFinal(JsonElement view) => StatusOf(view) is "completed" or "denied" or "expired" or "cancelled" or "failed";

    public static bool HasPetition(JsonElement view) => view.TryGetProperty("petition", out var p) && p.ValueKind == JsonValueKind.String;

    public async Task<string> PetitionOfAsync(string id, int seconds = 60) =>
        (await WaitAsync(id, v => HasPetition(v) && v.GetProperty("status").GetString() == "awaiting_approval", seconds)).GetProperty("petition").GetString()!;

    /// <summary>A reviewer's claim, made as a person of the directory (bob) with the Indent token the emulator issues
    /// them, as an approver's click reaches Indent (a grant by the workflow's own service token is refused).</summary>
    public async Task<HttpStatusCode> ClaimAsync(string petition, string eventType)
    {
        using var indent = await host.IndentHttpAsAsync("bob@local");
        using var response = await indent.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", JsonContent.Create(new { claim = new { @event = eventType } }));
        await Keep(response);
        return response.StatusCode;
    }

    /// <summary>A webhook delivery, labelled in the host's request log as <paramref name="label"/>.</summary>
    public async Task<(HttpStatusCode Status, string Body)> WebhookAsync(byte[] body, IEnumerable<(string Name, string Value)> headers, string label)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/indent?" + RequestLog.Label(label)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await SendAsync(request);
    }

    public static (string Name, string Value)[] Signed(byte[] body, string secret, DateTimeOffset at)
    {
        var timestamp = IndentWebhookSignature.FormatTimestamp(at);
        return [(IndentWebhookSignature.TimestampHeader, timestamp), (IndentWebhookSignature.SignatureHeader, IndentWebhookSignature.Sign(secret, timestamp, body))];
    }

    public int Resets(string user) =>
        Approvals.Local.Actions.FileUserDirectory.Read(host.DataDirectory).TryGetValue(user, out var u) ? u.Resets : 0;

    public int TotalResets() => Approvals.Local.Actions.FileUserDirectory.Read(host.DataDirectory).Values.Sum(u => u.Resets);

    /// <summary>Every secret the run knows: the token, the webhook secret, what the host generated for itself (its
    /// local-secrets file: the seal key), every temporary password written.</summary>
    public IReadOnlyList<string> Secrets()
    {
        var secrets = new List<string> { TestSettings.Token, TestSettings.Token.Split('.')[2], TestSettings.WebhookSecret };
        var generated = Path.Combine(host.DataDirectory, Local.Hosting.LocalSecrets.FileName);
        if (File.Exists(generated))
        {
            secrets.AddRange(JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(generated))!.Values);
        }

        var dir = Path.Combine(host.DataDirectory, "secrets");
        if (Directory.Exists(dir))
        {
            secrets.AddRange(Directory.GetFiles(dir, "*.json").Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("value").GetString()!));
        }

        return secrets;
    }

    /// <summary>The engine's raw record (<see cref="IDurableState"/>: inputs, outputs, custom status, history), every
    /// response the suite received (each approval's status and audit trail read once more), the host's log and
    /// <paramref name="extraLogs"/>, searched for <paramref name="secrets"/> (default: <see cref="Secrets"/>), decoded
    /// as a leak would carry them (<c>SecretScanner</c>).</summary>
    public async Task<SecretScan> ScanForSecretsAsync(IReadOnlyList<string>? secrets = null, params string[] extraLogs)
    {
        foreach (var id in Ids.Distinct())
        {
            using var history = await host.Http.GetAsync($"api/approvals/{id}/history");
            await Keep(history);
            await ViewAsync(id);
        }

        var places = new List<StatePlace>(await State.ReadAsync());
        var records = places.Count;
        places.AddRange(Responses.Select((r, i) => new StatePlace("API response", $"API response {i}", r)));
        places.AddRange(extraLogs.Append(host.Output).Select((l, i) => new StatePlace("host log", $"host log {i}", l)));
        var sought = secrets ?? Secrets();
        var found = places.Where(p => Local.Tests.Support.SecretScanner.Find(sought, [p.Text]).Count > 0).ToList();
        return new SecretScan(found, $"{records:N0} records of the engine, {Responses.Count:N0} API responses, {extraLogs.Length + 1} host logs");
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>What a secret scan found (the places, named) and what it read.</summary>
public sealed record SecretScan(IReadOnlyList<StatePlace> Found, string Read)
{
    /// <summary>What was read and, when something was found, the kinds of place it was found in, most first.</summary>
    public string Detail => Found.Count == 0 ? Read
        : Read + "; found in: " + string.Join(", ", Found.GroupBy(f => f.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}"));
}
