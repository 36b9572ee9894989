using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Approvals.Core.Indent;

/// <summary>Typed client for Indent's petitions, claims and resources API.
/// Transient failures are retried by the HTTP pipeline (see <see cref="IndentServiceCollectionExtensions"/>);
/// petition creation, the one call that is not naturally idempotent, is made safe to retry here.</summary>
public sealed class IndentClient
{
    /// <summary>Request option telling the HTTP retry handler to leave this request to the caller's own retry.</summary>
    internal static readonly HttpRequestOptionsKey<bool> NoHttpRetry = new("approvals.no-http-retry");

    readonly HttpClient http;
    readonly IndentOptions options;
    readonly ILogger<IndentClient> logger;
    readonly ResiliencePipeline<Petition> createPipeline;

    public IndentClient(HttpClient http, IOptions<IndentOptions> options, ILogger<IndentClient> logger, TimeProvider? timeProvider = null)
    {
        this.http = http;
        this.options = options.Value;
        this.logger = logger;
        var root = this.options.BaseUrl.ToString().TrimEnd('/') + "/";
        this.http.BaseAddress ??= new Uri(root);
        createPipeline = Pipelines.GetValue(this.options.Retry, retry => BuildCreatePipeline(retry, timeProvider));
    }

    // Typed clients are transient; the create pipeline depends only on the retry options, so build it once per options.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IndentRetryOptions, ResiliencePipeline<Petition>> Pipelines = new();

    static ResiliencePipeline<Petition> BuildCreatePipeline(IndentRetryOptions retry, TimeProvider? timeProvider) =>
        new ResiliencePipelineBuilder<Petition> { TimeProvider = timeProvider ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions<Petition>
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = new PredicateBuilder<Petition>()
                    .Handle<IndentApiException>(e => e.IsTransient)
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>(),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is IndentApiException { RetryAfter: { } after } ? (TimeSpan?)after : null),
            })
            .Build();

    /// <summary>The space this client acts in.</summary>
    public string Space => options.Space;

    string SpacePath => "spaces/" + Uri.EscapeDataString(options.Space);

    // ---------- Petitions ----------

    /// <summary>Creates a petition (Indent assigns its name). Safe to retry: the petition carries our request id
    /// label and, after a failed attempt, we look it up before posting again, so a lost response never makes two.</summary>
    public async Task<Petition> CreatePetitionAsync(Petition petition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(petition);
        var labels = new Dictionary<string, string>(petition.Meta?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (!labels.TryGetValue(IndentLabels.RequestId, out var requestId) || string.IsNullOrEmpty(requestId))
        {
            requestId = Guid.NewGuid().ToString("N");
            labels[IndentLabels.RequestId] = requestId;
        }

        var toSend = petition with { Name = null, Meta = (petition.Meta ?? new ObjectMeta()) with { Labels = labels } };
        var attempt = 0;
        return await createPipeline.ExecuteAsync(async ct =>
        {
            if (attempt++ > 0)
            {
                var existing = await FindByRequestIdAsync(requestId, ct);
                if (existing is not null)
                {
                    logger.LogInformation("Petition {Petition} already created by an earlier attempt", existing.Name);
                    return existing;
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/petitions")
            {
                Content = JsonContent.Create(new CreatePetitionRequest(toSend), IndentJsonContext.Default.CreatePetitionRequest),
            };
            request.Options.Set(NoHttpRetry, true);
            return await SendAsync(request, IndentJsonContext.Default.Petition, ct);
        }, cancellationToken);
    }

    async Task<Petition?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        await foreach (var found in ListPetitionsAsync($"{IndentLabels.RequestId}={requestId}", pageSize: 10, cancellationToken))
        {
            return found;
        }

        return null;
    }

    public Task<Petition> GetPetitionAsync(string petitionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(petitionName);
        var request = new HttpRequestMessage(HttpMethod.Get, $"{SpacePath}/petitions/{Uri.EscapeDataString(petitionName)}");
        return SendDisposingAsync(request, IndentJsonContext.Default.Petition, cancellationToken);
    }

    /// <summary>Every petition matching <paramref name="labelSelector"/> (<c>key=value,key2=value2</c>), page by page.</summary>
    public async IAsyncEnumerable<Petition> ListPetitionsAsync(string? labelSelector = null, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? pageToken = null;
        do
        {
            var url = $"{SpacePath}/petitions" + Query(("labelSelector", labelSelector), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture)), ("pageToken", pageToken));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            var page = await SendAsync(request, IndentJsonContext.Default.ListPetitionsResponse, cancellationToken);
            foreach (var petition in page.Petitions ?? [])
            {
                yield return petition;
            }

            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        }
        while (pageToken is not null);
    }

    // ---------- Claims ----------

    /// <summary>Posts a claim (a reviewer's or petitioner's action) on a petition. The claim carries an id,
    /// generated when absent, so a retried post is recognisable as the same claim.</summary>
    public Task<IndentEvent> CreateClaimAsync(string petitionName, IndentEvent claim, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(petitionName);
        ArgumentNullException.ThrowIfNull(claim);
        var toSend = claim with { Id = string.IsNullOrEmpty(claim.Id) ? Guid.NewGuid().ToString("N") : claim.Id };
        var request = new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/petitions/{Uri.EscapeDataString(petitionName)}/claims")
        {
            Content = JsonContent.Create(new CreateClaimRequest(toSend), IndentJsonContext.Default.CreateClaimRequest),
        };
        return SendDisposingAsync(request, IndentJsonContext.Default.IndentEvent, cancellationToken);
    }

    /// <summary>Approves; <paramref name="duration"/> <c>null</c> grants indefinitely.</summary>
    public Task<IndentEvent> ApproveAsync(string petitionName, TimeSpan? duration = null, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (duration is { } d)
        {
            labels[IndentLabels.Duration] = GoDuration.Format(d);
        }

        return CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Approve, Id = claimId, Reason = reason, Meta = new ObjectMeta { Labels = labels } }, cancellationToken);
    }

    /// <summary>Denies, or (from the petitioner) closes the petition.</summary>
    public Task<IndentEvent> DenyAsync(string petitionName, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default) =>
        CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Deny, Id = claimId, Reason = reason }, cancellationToken);

    public Task<IndentEvent> RevokeAsync(string petitionName, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default) =>
        CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Revoke, Id = claimId, Reason = reason }, cancellationToken);

    // ---------- Resources ----------

    /// <summary>Resources, optionally a <paramref name="view"/> such as <c>requestable</c>, page by page.</summary>
    public async IAsyncEnumerable<Resource> ListResourcesAsync(string? view = null, string? labelSelector = null, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? pageToken = null;
        do
        {
            var url = $"{SpacePath}/resources" + Query(("view", view), ("labelSelector", labelSelector), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture)), ("pageToken", pageToken));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            var page = await SendAsync(request, IndentJsonContext.Default.ListResourcesResponse, cancellationToken);
            foreach (var resource in page.Resources ?? [])
            {
                yield return resource;
            }

            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        }
        while (pageToken is not null);
    }

    public async Task<Resource> GetResourceAsync(string resourceName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceName);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{SpacePath}/resources/{Uri.EscapeDataString(resourceName)}");
        var response = await SendAsync(request, IndentJsonContext.Default.GetResourceResponse, cancellationToken);
        return response.Resource ?? throw new IndentApiException("GET", request.RequestUri!.ToString(), HttpStatusCode.OK, null, "response had no resource", null);
    }

    /// <summary>Creates or replaces resources by kind and id. Idempotent, so retried like a read.</summary>
    public async Task<IReadOnlyList<Resource>> BulkUpdateResourcesAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/resources:bulkUpdate")
        {
            Content = JsonContent.Create(new BulkUpdateResourcesRequest(resources), IndentJsonContext.Default.BulkUpdateResourcesRequest),
        };
        var response = await SendAsync(request, IndentJsonContext.Default.BulkUpdateResourcesResponse, cancellationToken);
        return response.Resources ?? [];
    }

    // ---------- Plumbing ----------

    async Task<T> SendDisposingAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await SendAsync(request, type, cancellationToken);
        }
    }

    async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var method = request.Method.Method;
        var path = "/" + (request.RequestUri?.OriginalString.Split('?')[0] ?? "");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            logger.LogWarning("Indent {Method} {Path} answered {Status} (code {Code})", method, path, (int)response.StatusCode, error?.Code);
            throw new IndentApiException(method, path, response.StatusCode, error?.Code, Truncate(error?.Message), RetryAfterOf(response));
        }

        try
        {
            var body = await response.Content.ReadFromJsonAsync(type, cancellationToken);
            return body ?? throw new IndentApiException(method, path, response.StatusCode, null, "empty response body", null);
        }
        catch (JsonException)
        {
            throw new IndentApiException(method, path, response.StatusCode, null, "response body is not the JSON Indent documents", null);
        }
    }

    static async Task<IndentStatus?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var envelope = await response.Content.ReadFromJsonAsync(IndentJsonContext.Default.IndentStatusEnvelope, cancellationToken);
            return envelope?.Status;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    static string? Truncate(string? text) => text is { Length: > 500 } ? text[..500] + "…" : text;

    static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}

/// <summary>Go-style durations as Indent writes them (<c>3h0m0s</c>).</summary>
public static class GoDuration
{
    public static string Format(TimeSpan span)
    {
        var total = (long)Math.Round(span.TotalSeconds);
        var hours = total / 3600;
        var minutes = total % 3600 / 60;
        var seconds = total % 60;
        return string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{seconds}s");
    }

    /// <summary>Parses <c>3h0m0s</c>, <c>90m</c>, <c>45s</c>, <c>1h30m</c>; false for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan span)
    {
        span = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32)
        {
            return false;
        }

        var total = 0d;
        var number = "";
        var sawUnit = false;
        foreach (var c in text.Trim())
        {
            if (char.IsAsciiDigit(c) || c == '.')
            {
                number += c;
                continue;
            }

            if (number.Length == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            total += c switch
            {
                'h' => value * 3600,
                'm' => value * 60,
                's' => value,
                _ => double.NaN,
            };
            if (double.IsNaN(total))
            {
                return false;
            }

            number = "";
            sawUnit = true;
        }

        if (number.Length > 0 || !sawUnit || total <= 0 || total > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        span = TimeSpan.FromSeconds(total);
        return true;
    }
}
