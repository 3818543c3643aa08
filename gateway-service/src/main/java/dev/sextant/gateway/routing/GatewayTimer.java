package dev.sextant.gateway.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import reactor.core.publisher.Mono;

/**
 * The gateway's per-request deadlines (time to the upstream's headers, silence inside a stream) on one hashed
 * wheel: starting and cancelling a deadline is a lock-free queue operation, and the wheel's own thread ticks
 * every {@value #TICK_MS} ms. Nearly every deadline is cancelled long before it is due, which Reactor's
 * {@code Mono.delay}/{@code Flux.timeout} make costly: each start and each cancel takes the lock of the shared
 * {@code parallel} scheduler's queue, and cancelling the earliest one wakes that scheduler's thread, per request
 * (and per chunk for {@code Flux.timeout}).
 */
@Component
public class GatewayTimer implements DisposableBean {

    static final long TICK_MS = 100;

    private final HashedWheelTimer wheel = new HashedWheelTimer(new DefaultThreadFactory("gateway-timer", true),
            TICK_MS, TimeUnit.MILLISECONDS, 512);

    /**
     * Emits one element once {@code after} has passed and {@code due} still says so when it fires (e.g. "the
     * headers have not arrived"); never emits otherwise. Cancelling the subscription cancels the deadline.
     */
    public Mono<Long> deadline(Duration after, BooleanSupplier due) {
        return Mono.create(sink -> {
            Timeout timeout = wheel.newTimeout(t -> {
                if (due.getAsBoolean()) {
                    sink.success(0L);
                }
            }, after.toNanos(), TimeUnit.NANOSECONDS);
            sink.onCancel(timeout::cancel);
        });
    }

    /**
     * An idle watch for a stream: call {@link IdleWatch#touch()} on every chunk; {@link IdleWatch#expired()}
     * fails with a {@link TimeoutException} once {@code idle} passes without one, and completes never otherwise.
     * One wheel entry per stream, moved on only when it comes due, not per chunk.
     */
    public IdleWatch idleWatch(Duration idle) {
        return new IdleWatch(idle.toNanos());
    }

    public final class IdleWatch {

        private final long idleNanos;
        private volatile long lastNanos = System.nanoTime();

        private IdleWatch(long idleNanos) {
            this.idleNanos = idleNanos;
        }

        public void touch() {
            lastNanos = System.nanoTime();
        }

        /** Fails when the stream has been silent for the idle time; subscribe once, cancel when the stream ends. */
        public <T> Mono<T> expired() {
            return Mono.create(sink -> {
                Timeout[] current = new Timeout[1];
                io.netty.util.TimerTask check = new io.netty.util.TimerTask() {
                    @Override
                    public void run(Timeout t) {
                        long silent = System.nanoTime() - lastNanos;
                        if (silent >= idleNanos) {
                            sink.error(new TimeoutException("the upstream sent nothing for "
                                    + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms"));
                        }
                        else {
                            synchronized (current) {
                                if (current[0] != null) {
                                    current[0] = wheel.newTimeout(this, idleNanos - silent, TimeUnit.NANOSECONDS);
                                }
                            }
                        }
                    }
                };
                synchronized (current) {
                    current[0] = wheel.newTimeout(check, idleNanos, TimeUnit.NANOSECONDS);
                }
                sink.onCancel(() -> {
                    synchronized (current) {
                        current[0].cancel();
                        current[0] = null;
                    }
                });
            });
        }
    }

    @Override
    public void destroy() {
        wheel.stop();
    }
}
