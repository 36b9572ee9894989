using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Approvals.Core.Indent;

/// <summary>Typed client for Indent's petitions, claims and resources API (split by area into partial files).
/// <para>One retry story: every call runs through the one <see cref="IndentResilience.PipelineName"/> pipeline
/// (retry with jitter honouring <c>Retry-After</c>, a timeout per attempt) around one HTTP send. Reads and claims
/// are idempotent and are simply sent again; a petition create, the one call that is not, looks its petition up
/// by our request-id label before every repeat post.</para>
/// Mockable like the Azure SDK clients: members are virtual and a protected constructor exists for mocks.</summary>
public partial class IndentClient
{
    readonly HttpClient http = null!;
    readonly IndentOptions options = null!;
    readonly ResiliencePipeline pipeline = null!;
    readonly TimeProvider timeProvider = null!;
    readonly ILogger<IndentClient> logger = null!;

    /// <summary>For mocking.</summary>
    protected IndentClient()
    {
    }

    public IndentClient(HttpClient http, IOptions<IndentOptions> options, ResiliencePipelineProvider<string> pipelines, TimeProvider timeProvider, ILogger<IndentClient> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pipelines);
        this.http = http;
        this.options = options.Value;
        this.timeProvider = timeProvider;
        this.logger = logger;
        pipeline = pipelines.GetPipeline(IndentResilience.PipelineName);
        this.http.BaseAddress ??= new Uri(this.options.BaseUrl.ToString().TrimEnd('/') + "/");
    }

    /// <summary>The space this client acts in.</summary>
    public virtual string Space => options.Space;

    string SpacePath => "spaces/" + Uri.EscapeDataString(options.Space);

    /// <summary>Sends a request built afresh for each attempt, through the retry pipeline.</summary>
    Task<T> SendAsync<T>(Func<HttpRequestMessage> build, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct =>
        {
            using var request = build();
            return await SendOnceAsync(request, type, ct);
        }, cancellationToken).AsTask();

    /// <summary>Every item of a paged list call, following <c>nextPageToken</c>.</summary>
    async IAsyncEnumerable<TItem> PagesAsync<TPage, TItem>(
        Func<string?, string> url,
        JsonTypeInfo<TPage> type,
        Func<TPage, (IReadOnlyList<TItem>? Items, string? NextPageToken)> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageToken = null;
        do
        {
            var (items, next) = read(await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url(pageToken)), type, cancellationToken));
            foreach (var item in items ?? [])
            {
                yield return item;
            }

            pageToken = string.IsNullOrEmpty(next) ? null : next;
        }
        while (pageToken is not null);
    }

    async Task<T> SendOnceAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var method = request.Method.Method;
        var path = "/" + (request.RequestUri?.OriginalString.Split('?')[0] ?? "");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            logger.LogWarning("Indent {Method} {Path} answered {Status} (code {Code})", method, path, (int)response.StatusCode, error?.Code);
            throw new IndentApiException(method, path, response.StatusCode, error?.Code, Truncate(error?.Message), RetryAfterOf(response, timeProvider));
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

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response, TimeProvider timeProvider)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
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

    static string Size(int pageSize) => pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
