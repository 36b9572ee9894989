using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Tests.Support;

/// <summary>A local stand-in for Key Vault's secrets REST API over HTTPS (a self-signed certificate the test trusts
/// by thumbprint), with the bearer challenge SecretClient expects. Keeps every version of every secret.</summary>
public sealed class FakeKeyVault : IAsyncDisposable
{
    public sealed record Version(string Id, string Value, long? Expires, Dictionary<string, string> Tags, string? ContentType, long Created = 0, bool Enabled = true);

    readonly WebApplication app;
    readonly X509Certificate2 certificate;
    public ConcurrentDictionary<string, List<Version>> Secrets { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();
    public Uri VaultUri { get; private set; } = null!;

    FakeKeyVault(WebApplication app, X509Certificate2 certificate)
    {
        this.app = app;
        this.certificate = certificate;
    }

    public static async Task<FakeKeyVault> StartAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var vault = new FakeKeyVault(app, certificate);
        app.Run(vault.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        vault.VaultUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return vault;
    }

    /// <summary>A SecretClient for this vault: real Azure SDK pipeline, trusting only this certificate.</summary>
    public SecretClient Client(TokenCredential? credential = null)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint };
        var options = new SecretClientOptions { Transport = new HttpClientTransport(handler), DisableChallengeResourceVerification = true };
        options.Retry.MaxRetries = 0;
        return new SecretClient(VaultUri, credential ?? new StaticCredential(), options);
    }

    public void Seed(string name, string value) => Store(name, value, null, [], null);

    Version Store(string name, string value, long? expires, Dictionary<string, string> tags, string? contentType)
    {
        var version = new Version($"{VaultUri}secrets/{name}/{Guid.NewGuid():N}", value, expires, tags, contentType, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Secrets.AddOrUpdate(name, _ => [version], (_, list) =>
        {
            lock (list)
            {
                list.Add(version);
            }

            return list;
        });
        return version;
    }

    async Task HandleAsync(HttpContext context)
    {
        Requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
        if (!context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer authorization=\"https://login.microsoftonline.com/tenant\", resource=\"https://vault.azure.net\"";
            return;
        }

        var parts = context.Request.Path.Value!.Trim('/').Split('/');
        if (parts.Length == 2 && parts[0] == "deletedsecrets")
        {
            await DeletedAsync(context, parts[1]);
            return;
        }

        if (parts.Length < 2 || parts[0] != "secrets")
        {
            context.Response.StatusCode = 404;
            return;
        }

        var name = parts[1];
        switch (context.Request.Method)
        {
            case "PUT":
            {
                var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
                var tags = body["tags"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) ?? [];
                var version = Store(name, body["value"]!.GetValue<string>(), body["attributes"]?["exp"]?.GetValue<long>(), tags, body["contentType"]?.GetValue<string>());
                await Write(context, version);
                return;
            }

            case "PATCH":
            {
                var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
                if (!Secrets.TryGetValue(name, out var list))
                {
                    await NotFound(context, name);
                    return;
                }

                Version updated;
                lock (list)
                {
                    var index = list.FindIndex(v => v.Id.EndsWith("/" + parts[2], StringComparison.Ordinal));
                    var old = list[index];
                    var tags = body["tags"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) ?? old.Tags;
                    updated = old with { Tags = tags, Expires = body["attributes"]?["exp"]?.GetValue<long>() ?? old.Expires, Enabled = body["attributes"]?["enabled"]?.GetValue<bool>() ?? old.Enabled };
                    list[index] = updated;
                }

                await Write(context, updated, includeValue: false);
                return;
            }

            case "GET":
                if (!Secrets.TryGetValue(name, out var versions))
                {
                    await NotFound(context, name);
                    return;
                }

                List<Version> all;
                lock (versions)
                {
                    all = [.. versions];
                }

                if (parts.Length > 2 && parts[2] == "versions")
                {
                    var page = new JsonObject { ["value"] = new JsonArray([.. all.Select(v => (JsonNode)Json(v, includeValue: false))]), ["nextLink"] = null };
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(page.ToJsonString());
                    return;
                }

                await Write(context, parts.Length > 2 ? all.Single(v => v.Id.EndsWith("/" + parts[2], StringComparison.Ordinal)) : all[^1]);
                return;
            case "DELETE":
                if (parts.Length != 2 || !Secrets.TryRemove(name, out var removed))
                {
                    await NotFound(context, name);
                    return;
                }

                Deleted[name] = removed;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject
                {
                    ["recoveryId"] = $"{VaultUri}deletedsecrets/{name}",
                    ["id"] = removed[^1].Id,
                    ["deletedDate"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["attributes"] = new JsonObject { ["enabled"] = true, ["recoveryLevel"] = PurgeProtection ? "Recoverable" : "Recoverable+Purgeable" },
                }.ToJsonString());
                return;
            default:
                context.Response.StatusCode = 405;
                return;
        }
    }

    /// <summary>Deleted secrets, kept until purged (soft delete).</summary>
    public ConcurrentDictionary<string, List<Version>> Deleted { get; } = new(StringComparer.Ordinal);

    /// <summary>Names purged for good.</summary>
    public ConcurrentQueue<string> Purged { get; } = new();

    /// <summary>As a vault with purge protection: purges are refused with 403.</summary>
    public bool PurgeProtection { get; set; }

    async Task DeletedAsync(HttpContext context, string name)
    {
        if (!Deleted.TryGetValue(name, out var deleted))
        {
            await NotFound(context, name);
            return;
        }

        switch (context.Request.Method)
        {
            case "GET":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject { ["recoveryId"] = $"{VaultUri}deletedsecrets/{name}", ["id"] = deleted[^1].Id, ["attributes"] = new JsonObject { ["enabled"] = true } }.ToJsonString());
                return;
            case "DELETE" when PurgeProtection:
                context.Response.StatusCode = 403;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"error\":{\"code\":\"Forbidden\",\"message\":\"Operation \\\"purge\\\" is not allowed because purge protection is enabled for this vault.\"}}");
                return;
            case "DELETE":
                Deleted.TryRemove(name, out _);
                Purged.Enqueue(name);
                context.Response.StatusCode = 204;
                return;
            default:
                context.Response.StatusCode = 405;
                return;
        }
    }

    static Task NotFound(HttpContext context, string name)
    {
        context.Response.StatusCode = 404;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync($"{{\"error\":{{\"code\":\"SecretNotFound\",\"message\":\"A secret with (name/id) {name} was not found in this key vault.\"}}}}");
    }

    static Task Write(HttpContext context, Version version, bool includeValue = true)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(Json(version, includeValue).ToJsonString());
    }

    static JsonObject Json(Version version, bool includeValue)
    {
        var json = new JsonObject
        {
            ["id"] = version.Id,
            ["attributes"] = new JsonObject { ["enabled"] = version.Enabled, ["exp"] = version.Expires, ["created"] = version.Created, ["updated"] = version.Created },
            ["tags"] = new JsonObject(version.Tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))),
            ["contentType"] = version.ContentType,
        };
        if (includeValue)
        {
            json["value"] = version.Value;
        }

        return json;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        certificate.Dispose();
    }

    /// <summary>A credential that hands out a fixed token and records the scopes asked for.</summary>
    public sealed class StaticCredential : TokenCredential
    {
        public ConcurrentQueue<string> Scopes { get; } = new();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
            {
                Scopes.Enqueue(scope);
            }

            return new AccessToken("fake-entra-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
