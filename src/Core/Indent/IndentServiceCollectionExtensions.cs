using Approvals.Core.Secrets;
using Approvals.Core.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Approvals.Core.Indent;

/// <summary>The retry story for every Indent call, told once.</summary>
public static class IndentResilience
{
    /// <summary>The name of the one resilience pipeline <see cref="IndentClient"/> runs every call through.</summary>
    public const string PipelineName = "indent";

    /// <summary>Retry with exponential backoff and jitter, waiting at least what <c>Retry-After</c> asks, for transient
    /// failures only (5xx, 408, 429, connection failures, attempt timeouts); then a timeout per attempt.</summary>
    public static void Build(ResiliencePipelineBuilder pipeline, IndentRetryOptions retry, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(retry);
        pipeline.TimeProvider = timeProvider;
        pipeline
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<IndentApiException>(e => e.IsTransient)
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>(),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is IndentApiException { RetryAfter: { } after } ? (TimeSpan?)after : null),
            })
            .AddTimeout(retry.AttemptTimeout);
    }
}

/// <summary>Registers <see cref="IndentClient"/> with its auth handler and resilience pipeline.</summary>
public static class IndentServiceCollectionExtensions
{
    /// <summary>Adds the Indent client. Settings come from <c>INDENT_SPACE</c>/<c>INDENT_BASE_URL</c>, validated
    /// when the host starts; <paramref name="configure"/> may adjust them afterwards (tests, the emulator).</summary>
    public static IHttpClientBuilder AddIndentClient(this IServiceCollection services, Action<IndentOptions>? configure = null)
    {
        services.AddSettings<IndentOptions>().PostConfigure(options => configure?.Invoke(options));
        services.TryAddSingleton<ISecretProvider, ConfigurationSecretProvider>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddTransient<IndentAuthHandler>();
        services.TryAddTransient<IndentApprovals>();
        services.AddResiliencePipeline(IndentResilience.PipelineName, (pipeline, context) =>
            IndentResilience.Build(
                pipeline,
                context.ServiceProvider.GetRequiredService<IOptions<IndentOptions>>().Value.Retry,
                context.ServiceProvider.GetRequiredService<TimeProvider>()));

        // The retries live in the pipeline above, around each call; the HTTP client itself only authenticates.
        var builder = services.AddHttpClient<IndentClient>(client => client.Timeout = TimeSpan.FromMinutes(5));
        builder.AddHttpMessageHandler<IndentAuthHandler>();
        // IndentClient logs what matters (failures, with status and Indent's code); the factory's per-request
        // logging scopes cost more than they tell on a hot path.
        builder.RemoveAllLoggers();
        return builder;
    }
}
